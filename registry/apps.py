from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Registry"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from registry.middleware import signed_in

        user_logged_in.connect(signed_in, dispatch_uid="registry-signed-in")
