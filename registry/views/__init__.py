"""The registry's web pages, one module per area; ``access`` decides who may open them."""

from .access import official, registry_page, visible_notice

__all__ = ["official", "registry_page", "visible_notice"]
