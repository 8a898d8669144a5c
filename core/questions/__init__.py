"""The lessons' "predict, then check" questions, one module per lesson, each drawn from a seed."""
