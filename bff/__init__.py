"""The backend-for-frontend under test: an aggregator with explicit resilience policies."""
