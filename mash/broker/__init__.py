"""Local Kafka broker lifecycle (from Maven Central jars), topic and ACL set-up."""
