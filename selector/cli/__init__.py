"""The command line: the only code that prints, prompts, exits or opens output files."""
