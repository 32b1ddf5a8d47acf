"""notifier in Home Assistant over MQTT: discovery payloads, the bounded outgoing queue, the bridge connection.

May import the leaves, `notifier.rules`, `rulefile.model` and (for typing) `run.metrics`; never delivery, account or the rest of run.
"""

# :mod:`.discovery` builds the config payloads (pure), :mod:`.outgoing` keeps
# what waits for the broker (bounded, counts throttled per post), :mod:`.bridge`
# decides what Home Assistant sees (who the account is, which entities) and
# :mod:`.connection` is the one MQTT connection that publishes it and listens
# to Home Assistant. The daemon's parts build a :class:`~.bridge.Bridge` only
# when the rule file has a ``home_assistant:`` block; aiomqtt loads only then.
#
# It may import the leaves, ``notifier.rules`` (the rule set it shows) and the
# rule file's :class:`~notifier.rulefile.model.HomeAssistantSpec`; never
# delivery, the daemon or the account watcher: those are told through
# callbacks.
