"""gunicorn settings for tsunagi. Run migrations (`flask --app wsgi db upgrade`) before
starting: script/server does."""
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = 30
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
# No referrer or user agent in the access log: request line, status and size are enough.
# URLs carry no personal data by design (the follow-up token lives in the fragment).
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
