"""One module per claim, each defining ``CLAIM`` (a ``graphgrad.claims.base.Claim``)."""
