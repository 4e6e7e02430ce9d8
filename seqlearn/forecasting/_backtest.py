"""placeholder"""
def backtest(*a, **k):
    raise NotImplementedError
