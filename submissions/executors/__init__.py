"""Executors run untrusted programs against tests. One interface, several backends:
`local` (bubblewrap sandbox on this machine) and `judge0` (Judge0 CE over HTTP).
The web app never knows how a sandbox works; it calls `get_executor().run(...)`."""
