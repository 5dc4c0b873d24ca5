"""The example pipeline's methods: generate readings, summarise them, report."""
