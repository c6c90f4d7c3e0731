"""incidentd: the daemon, its store, pipeline, comms and interfaces."""
