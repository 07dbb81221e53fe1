"""The package version, in a module of its own: any module can import it without importing the
package root (and all it imports); pyproject.toml reads it too (one owner)."""
__version__ = "0.1.0"
