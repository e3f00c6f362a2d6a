"""Pictures: heatmaps, previews and plots (matplotlib, Agg backend)."""
