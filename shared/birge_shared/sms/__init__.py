"""SMS rules that both the API and the workers need: segment counting and price estimates."""
