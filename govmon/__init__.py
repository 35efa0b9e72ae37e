"""govmon: assessment-rule monitoring on Kafka."""
