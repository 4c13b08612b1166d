from django.conf import settings

print(settings.DATABASES)
