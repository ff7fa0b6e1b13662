"""WSGI entry point for production servers (`tandir serve --production` runs gunicorn on it).

Without DJANGO_SETTINGS_MODULE it takes the production settings: a server started some other way
(`gunicorn tandir.wsgi`) must not fall back to the development key and debug-friendly defaults.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandir.settings_production")
application = get_wsgi_application()
