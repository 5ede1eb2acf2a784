"""Reading article files and splitting their text: articles, paragraphs, sentences, page furniture, stopwords."""
