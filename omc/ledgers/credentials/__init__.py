"""The collectors' API keys kept in the vault (``omc collect keys``) and how sources read them.

``models`` is the ``source_credentials`` table; ``store`` sets, lists, removes and reveals them
and :class:`~omc.ledgers.credentials.store.VaultSecrets` hands them to a collection context.
"""
