"""Model clients over httpx. One interface (:class:`ModelClient`), two wire protocols."""
