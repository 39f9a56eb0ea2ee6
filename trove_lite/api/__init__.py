"""The Trove v1.0 REST API: routing, controllers, views, schemas, middleware."""
