"""One module per dashboard; each `build()` returns the SDK's dashboard builder."""
