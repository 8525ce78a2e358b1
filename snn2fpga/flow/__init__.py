"""The build flow: FINN-style step functions, their driver, and the board definitions they read."""
