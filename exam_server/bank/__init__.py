"""The question bank in the web: questions stored with every version, imported from any file
`question_bank.formats` reads, exported to any format it writes, previewed as candidates see them."""
