"""Faults and recovery: Redis down, a worker killed mid-chunk, PostgreSQL restarted, two beats."""
