"""Small statistics shared by the bench tools: medians, olympic means, spreads."""
import statistics


def median(values):
    values = list(values)
    if not values:
        raise ValueError("median of no values")
    return statistics.median(values)


def olympic_mean(values):
    """Mean without the best and the worst value (MLPerf's scoring of 5+ runs); a plain mean
    below 3 values."""
    values = sorted(values)
    if not values:
        raise ValueError("olympic mean of no values")
    if len(values) >= 3:
        values = values[1:-1]
    return sum(values) / len(values)


def summary(values):
    """mean, min, max, spread (max - min, and relative to the mean), olympic mean, count."""
    values = list(values)
    if not values:
        return {"n": 0}
    mean = sum(values) / len(values)
    return {
        "n": len(values),
        "mean": mean,
        "median": median(values),
        "min": min(values),
        "max": max(values),
        "spread": max(values) - min(values),
        "spread_rel": (max(values) - min(values)) / mean if mean else 0.0,
        "olympic_mean": olympic_mean(values),
    }
