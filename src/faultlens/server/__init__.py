"""`faultlens serve`: receivers for SDKs, OTLP and log shippers, the API, and the writer that owns the store."""
