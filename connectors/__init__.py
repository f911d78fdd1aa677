"""Agency-side publishers and loaders: files in, Avro on Kafka out."""
