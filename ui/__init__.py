"""ui: the command line and the Gradio app, thin shells over retrieval and evals."""
