"""One router per page: overview, tasks (list, detail, curation), failures, runs, and the JSON API."""
