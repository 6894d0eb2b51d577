"""The HTTP side of the layer: the transport the openai client sends through (`transport`), clients and
transports built for a namespace (`session`), what makes an answer usable (`schema`), retries
(`retry`) and how answers are read and streamed (`answers`)."""
