"""Benchmarks of the summariser against ../shared data sets (EASC ROUGE, ANT throughput); not shipped."""
