"""Stage 5: 2-D maps of the encoding (PCA, t-SNE, UMAP) and their trustworthiness."""
