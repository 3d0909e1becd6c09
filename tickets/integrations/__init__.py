"""Alarm sources that speak their own formats (Prometheus Alertmanager), turned into our alarms."""
