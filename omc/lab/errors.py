"""Errors of the algorithms layer, each with the one-line message a user sees."""

from omc.errors import EX_DATAERR, EX_USAGE, OmcError


class AlgorithmError(OmcError):
    """An algorithm cannot be built, loaded or evaluated as asked."""

    exit_code = EX_DATAERR


class UnknownAlgorithmError(AlgorithmError):
    """No algorithm (or no such version of it) is stored."""

    exit_code = EX_USAGE


class ArtifactMismatchError(AlgorithmError):
    """A stored file is missing or its sha256 no longer matches the one recorded: refused."""


class TooLittleDataError(AlgorithmError):
    """There are too few usable bars for the horizon and the number of folds."""


class FeatureCodeError(AlgorithmError):
    """The feature code failed in the sandbox or returned something that is not features."""


class EstimatorError(AlgorithmError):
    """An estimator that is not on the allow-list, or parameters outside its declared space."""

    exit_code = EX_USAGE
