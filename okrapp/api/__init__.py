"""The REST API's shared parts: authentication, errors, pagination, versions (ETag / If-Match)."""
