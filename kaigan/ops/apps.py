from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "kaigan.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self):
        # The task-outcome counters and the heartbeat at worker start are signal receivers:
        # connected in every process that may run a task (a worker; the web process when
        # tasks run eagerly).
        from kaigan.ops import tasks  # noqa: F401
