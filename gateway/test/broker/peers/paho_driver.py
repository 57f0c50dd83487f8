"""Drives Eclipse paho-mqtt (Debian's python3-paho-mqtt) as an MQTT 5 client through a scenario
given as JSON in argv[1], and prints what it sees as one JSON object per line on stdout.

The broker tests use it as a client nobody in this project wrote: what it reports is what a
third-party MQTT 5 stack read off the wire. Properties are given by paho's own names
(SessionExpiryInterval, MaximumPacketSize, WillDelayInterval, SubscriptionIdentifier, ...).

Scenario: {host, port, clientId, username, password, cleanStart, connect: {props},
           will: {topic, payload, qos, retain, properties: {props}}, steps: [...]}
Steps:    {op: "subscribe", topic, qos, nl, rap, rh, properties}
          {op: "publish", topic, payload (or payloadBytes: that many "o"), qos, retain}
          {op: "sleep", seconds}
          {op: "disconnect"}   a normal DISCONNECT (no will)
          {op: "drop"}         the process dies: the link ends without DISCONNECT
"""
import json
import os
import sys
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions


def emit(**event):
    print(json.dumps(event), flush=True)


def properties(packet_type, values):
    if not values:
        return None
    result = Properties(packet_type)
    for name, value in values.items():
        setattr(result, name, value)
    return result


def main():
    scenario = json.loads(sys.argv[1])
    client = mqtt.Client(client_id=scenario["clientId"], protocol=mqtt.MQTTv5)
    client.username_pw_set(scenario["username"], scenario["password"])
    will = scenario.get("will")
    if will:
        client.will_set(will["topic"], will["payload"], will.get("qos", 1), will.get("retain", False),
                        properties=properties(PacketTypes.WILLMESSAGE, will.get("properties")))
    connected = threading.Event()

    def on_connect(_client, _userdata, flags, reason, props):
        emit(event="connack", sessionPresent=bool(flags.get("session present")), reason=reason.value,
             properties=props.json() if props is not None else {})
        connected.set()

    def on_subscribe(_client, _userdata, mid, reasons, _props):
        emit(event="suback", mid=mid, reasons=[r.value for r in reasons])

    def on_message(_client, _userdata, message):
        emit(event="message", topic=message.topic, size=len(message.payload),
             payload=message.payload[:200].decode("utf-8", "replace"), qos=message.qos, retain=bool(message.retain))

    def on_publish(_client, _userdata, mid):
        emit(event="published", mid=mid)

    def on_disconnect(_client, _userdata, reason, _props=None):
        emit(event="disconnect", reason=getattr(reason, "value", reason))

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.on_publish = on_publish
    client.on_disconnect = on_disconnect
    client.connect(scenario["host"], scenario["port"], keepalive=30, clean_start=scenario.get("cleanStart", True),
                   properties=properties(PacketTypes.CONNECT, scenario.get("connect")))
    client.loop_start()
    if not connected.wait(10):
        emit(event="timeout", what="connack")
        os._exit(2)
    for step in scenario.get("steps", []):
        op = step["op"]
        if op == "subscribe":
            options = SubscribeOptions(qos=step.get("qos", 1), noLocal=step.get("nl", False),
                                       retainAsPublished=step.get("rap", False), retainHandling=step.get("rh", 0))
            client.subscribe(step["topic"], options=options,
                             properties=properties(PacketTypes.SUBSCRIBE, step.get("properties")))
        elif op == "publish":
            payload = step["payload"] if "payload" in step else "o" * step["payloadBytes"]
            client.publish(step["topic"], payload, qos=step.get("qos", 1), retain=step.get("retain", False))
        elif op == "sleep":
            time.sleep(step["seconds"])
        elif op == "disconnect":
            client.disconnect()
            time.sleep(0.3)
        elif op == "drop":
            emit(event="dropped")
            os._exit(0)
    emit(event="end")
    os._exit(0)


if __name__ == "__main__":
    main()
