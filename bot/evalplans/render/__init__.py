"""An eval draft rendered: Markdown (summary and full plan), YAML, and a promptfoo config skeleton."""
