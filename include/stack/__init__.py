"""The local stack manager: starts the platform's services on this machine (make up / down /
status / logs). Services are entries of a registry (`include.stack.services.SERVICES`): adding one
(the stream consumer, a Flink cluster) adds one entry there."""
