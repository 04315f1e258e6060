from pathlib import Path

from setuptools import find_packages, setup

# One import package "accord" mapped from three top-level folders (DESIGN.md §1).
PACKAGES = {}
for top in ("core", "admin", "plugins"):
    PACKAGES[f"accord.{top}"] = top
    for sub in find_packages(top):
        PACKAGES[f"accord.{top}.{sub}"] = f"{top}/{sub.replace('.', '/')}"

setup(
    name="accord-crm",
    version="0.1.0",
    description="Accord: a self-hosted, plugin-extensible CRM server",
    long_description=Path("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=list(PACKAGES),
    package_dir=PACKAGES,
    package_data={
        "accord.admin": ["templates/**/*", "static/**/*"],
        "accord.plugins.import_csv": ["templates/**/*", "static/**/*"],
    },
    install_requires=[
        "flask>=3.1,<3.2",
        "flask-admin>=2.2.1,<2.3",
        "flask-login>=0.6.3,<0.7",
        "flask-wtf>=1.2,<1.4",
        "flask-babel>=4.0,<5",
        "babel>=2.14",
        "peewee>=3.17,<5",
        "wtf-peewee>=3.2,<4",
        "pluggy>=1.5,<2",
        "huey>=3.5,<4",
        # Flask-Admin's inline-edit select unpacks choices as tuples (STACK-NOTES).
        "wtforms>=3.1,<3.4",
        "click>=8.1",
        "phonenumbers>=8.13",
        "email-validator>=2.1",
        # iCalendar invitations and feeds; XLSX import and export.
        "icalendar>=6.1,<8",
        "openpyxl>=3.1,<4",
    ],
    extras_require={
        "postgres": ["psycopg2-binary>=2.9"],
        "redis": ["redis>=5"],
        "mysql": ["pymysql>=1.1"],
        "scale": ["psycopg2-binary>=2.9", "redis>=5", "gunicorn>=22"],
        "test": [
            "pytest>=8",
            "pytest-timeout>=2.3",
            "aiosmtpd>=1.4",
            "gunicorn>=22",
            "playwright>=1.45",
            "psycopg2-binary>=2.9",
            "pymysql>=1.1",
            "redis>=5",
            "ruff>=0.6",
        ],
    },
    entry_points={
        "console_scripts": ["accord = accord.admin.cli:main"],
        "accord": [
            "gmail = accord.plugins.gmail",
            "gcal = accord.plugins.gcal",
            "voice = accord.plugins.voice",
            "import_csv = accord.plugins.import_csv",
        ],
    },
)
