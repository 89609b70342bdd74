"""The demo class: simulated students generated from the released notebooks."""
