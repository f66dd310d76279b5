"""Stage 4: groups in the encoding (features, DBSCAN, clustering, scores)."""
