"""The infrastructure database: models, sessions and repositories."""
