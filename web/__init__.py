"""What the site serves beside the domain: health probes, error pages, files at its root."""
