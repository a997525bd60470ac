"""Strategy parameters: defaults, parsing of command-line text, and clear errors."""

import pytest

from omc.backtest.errors import ParameterError, UnknownStrategyError
from omc.strategies import get_strategy, list_strategies


def test_resolving_no_values_gives_the_declared_defaults():
    assert get_strategy("sma_crossover").resolve_parameters() == {"fast": 20, "slow": 100}


def test_command_line_text_is_parsed_to_the_parameter_type():
    params = get_strategy("rsi_mean_reversion").resolve_parameters(
        {"period": "10", "lower": "25.5"}
    )
    assert params == {"period": 10, "lower": 25.5, "upper": 70.0}
    assert isinstance(params["period"], int)


def test_unknown_parameter_names_the_parameter_and_lists_the_valid_ones():
    with pytest.raises(ParameterError) as caught:
        get_strategy("sma_crossover").resolve_parameters({"fsat": 5})
    assert caught.value.message == (
        "Unknown parameter 'fsat' for sma_crossover; its parameters are: fast, slow."
    )
    assert (
        caught.value.exit_code == 64
    )  # EX_USAGE: the command named a parameter that does not exist


def test_parameter_out_of_range_states_the_range_and_the_value():
    with pytest.raises(ParameterError) as caught:
        get_strategy("sma_crossover").resolve_parameters({"fast": 1})
    assert caught.value.message == (
        "Parameter 'fast' of sma_crossover must be between 2 and 1000, got 1."
    )


def test_fractional_value_for_a_whole_number_parameter_is_refused():
    with pytest.raises(ParameterError, match=r"must be a whole number, got '2\.5'"):
        get_strategy("momentum").resolve_parameters({"lookback": "2.5"})


def test_fast_average_not_below_slow_average_is_refused():
    with pytest.raises(ParameterError, match="'fast' of sma_crossover must be smaller than 'slow'"):
        get_strategy("sma_crossover").resolve_parameters({"fast": 50, "slow": 50})


def test_unknown_strategy_lists_the_available_strategies():
    with pytest.raises(UnknownStrategyError) as caught:
        get_strategy("sma_cross")
    assert caught.value.message.startswith("Unknown strategy 'sma_cross'; available strategies: ")
    assert "sma_crossover" in caught.value.message


def test_strategy_names_accept_hyphens_and_capitals():
    assert get_strategy("SMA-Crossover").name == "sma_crossover"


def test_every_builtin_is_listed_with_json_able_parameter_descriptions():
    names = [strategy.name for strategy in list_strategies()]
    assert names == [
        "bollinger_breakout",
        "buy_and_hold",
        "ema_crossover",
        "momentum",
        "rsi_mean_reversion",
        "sma_crossover",
    ]
    described = get_strategy("bollinger_breakout").describe()
    assert described["parameters"][1] == {
        "name": "width",
        "type": "float",
        "default": 2.0,
        "minimum": 0.1,
        "maximum": 10.0,
        "description": "band width in standard deviations",
    }
