from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Registry"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from registry.languages import register_montenegrin
        from registry.middleware import signed_in

        register_montenegrin()

        user_logged_in.connect(signed_in, dispatch_uid="registry-signed-in")
