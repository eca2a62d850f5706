"""HTTP plumbing every inbound protocol shares: body limits, CORS, the version header, health, mounting."""
