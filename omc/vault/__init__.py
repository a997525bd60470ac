"""The vault: master keys, encryption of stored secrets, rotation, and the one masking function.

Public API: :class:`Vault` (``encrypt``/``decrypt``), :class:`Sealed`, :func:`rotate`,
:func:`vault_status` and :func:`mask_secret`.
"""

from omc.settings import mask_secret
from omc.vault.rotation import RotationResult, rotate
from omc.vault.status import vault_status
from omc.vault.store import Sealed, Vault

__all__ = ["RotationResult", "Sealed", "Vault", "mask_secret", "rotate", "vault_status"]
