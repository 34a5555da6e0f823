DROP TABLE news_signups;
