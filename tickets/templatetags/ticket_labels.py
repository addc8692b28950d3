"""Template filters naming a code by its label: `{{ contact.reason|reason_label }}`."""

from django import template

from tickets import labels

register = template.Library()

register.filter("channel_label", labels.channel_label)
register.filter("direction_label", labels.direction_label)
register.filter("priority_label", labels.priority_label)
register.filter("reason_label", lambda code: labels.reason_label(code))
