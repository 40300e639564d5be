"""Playbooks: consistent onboarding and plays (DESIGN.md "Playbooks")."""
