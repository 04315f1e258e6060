"""Run-time configuration, read from ACCORD_* environment variables (DESIGN.md §2)."""

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def _truthy(value):
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class Config:
    home: Path
    database_url: str
    redis_url: str | None = None
    secret_key: str = ""
    plugins: str | None = None
    safe_mode: bool = False
    smtp_url: str | None = None
    mail_from: str = "Accord <accord@localhost>"
    base_url: str = "http://127.0.0.1:5000"
    # Tests flip this to run huey tasks inline (DESIGN.md §7).
    jobs_immediate: bool = False
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, env=None, **overrides):
        env = os.environ if env is None else env
        home = Path(env.get("ACCORD_HOME") or "./accord-data").resolve()
        database_url = env.get("ACCORD_DATABASE_URL") or f"sqlite:///{home / 'accord.db'}"
        cfg = cls(
            home=home,
            database_url=database_url,
            redis_url=env.get("ACCORD_REDIS_URL") or None,
            secret_key=env.get("ACCORD_SECRET_KEY") or "",
            plugins=env.get("ACCORD_PLUGINS") or None,
            safe_mode=_truthy(env.get("ACCORD_SAFE_MODE", "")),
            smtp_url=env.get("ACCORD_SMTP_URL") or None,
            mail_from=env.get("ACCORD_MAIL_FROM") or "Accord <accord@localhost>",
            base_url=(env.get("ACCORD_BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
        )
        for key, value in overrides.items():
            setattr(cfg, key, value)
        return cfg

    @property
    def is_sqlite(self):
        return self.database_url.startswith("sqlite")

    def ensure_home(self):
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "uploads").mkdir(exist_ok=True)
        return self.home

    def load_secret_key(self):
        """The configured key, else one generated once and kept in ACCORD_HOME."""
        if self.secret_key:
            return self.secret_key
        self.ensure_home()
        path = self.home / "secret_key"
        if not path.exists():
            # O_EXCL: two processes starting together must agree on one key.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_hex(32))
        self.secret_key = path.read_text().strip()
        return self.secret_key
